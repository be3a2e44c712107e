//! IR → plist (the compile issue).
