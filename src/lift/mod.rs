//! Lifting: workflow plist → IR.
