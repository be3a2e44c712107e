//! Prints the normalized data flow of a Python file as wfc computes it (debugging aid for the
//! CodeBLEU parity with the `codebleu` package).
fn main() {
    let path = std::env::args().nth(1).expect("usage: dfg_dump FILE.py");
    let src = std::fs::read_to_string(path).expect("read");
    let text = wfc::eval::codebleu::pytok::py_strip(&src).to_string();
    let code = wfc::eval::codebleu::pytok::remove_comments_and_docstrings(&text);
    let tree = wfc::eval::codebleu::syntax::parse(&code).expect("parse");
    for e in wfc::eval::codebleu::dataflow::normalized_dataflow(&code, &tree) {
        println!("{e:?}");
    }
}
