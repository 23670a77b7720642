//! Shell analysis (placeholder; being written).

use super::AnalysisContext;
use crate::Action;

/// Analyses a shell command line into simple commands, targets and categories.
pub(crate) fn analyze_shell(command: &str, context: &AnalysisContext, action: &mut Action) {
    let _ = (command, context, action);
}

#[cfg(test)]
mod explore {
    fn show(s: &str) {
        let options = brush_parser::ParserOptions::default();
        let mut p = brush_parser::Parser::new(s.as_bytes(), &options);
        println!("=== {s:?}\n{:?}", p.parse_program());
    }
    fn word(s: &str) {
        let options = brush_parser::ParserOptions::default();
        println!("--- word {s:?}\n{:#?}", brush_parser::word::parse(s, &options));
    }

    #[test]
    fn explore() {
        show("X=a echo \"r\"\"m\" \\rm 'a b' >f 2>&1 <in >&out");
        show("cat <<'EOF' | sh\necho hi\nEOF\n");
        show("bash <<EOF\necho $X\nEOF");
        show("time ls | wc");
        show("f() { echo; }; f");
        show("diff <(ls) >(wc)");
        show("export A=b; echo a\\\nb");
        word("\"a\\\"b $X ${Y:-$(ls)}\"");
        word("`echo \\`x\\` \\$y \\\\`");
        word("$'\\x72m'");
        word("~/x");
        word("{a,b}c");
        word("\\\n");
    }

    #[test]
    fn nesting_depth() {
        let cases: Vec<(&str, &str, &str)> = vec![
            ("subst", "echo $(", ")"),
            ("dq", "echo \"$(", ")\""),
            ("param", "echo ${a:-", "}"),
            ("bq", "echo `", "`"),
        ];
        for (name, open, close) in cases {
            for depth in [100usize, 300, 1000, 3000] {
                let s = format!("{}true{}", open.repeat(depth), close.repeat(depth));
                let handle = std::thread::Builder::new()
                    .stack_size(2 * 1024 * 1024)
                    .spawn(move || {
                        let options = brush_parser::ParserOptions::default();
                        let r = brush_parser::uncached_tokenize_str(&s, &options.tokenizer_options());
                        r.is_ok()
                    })
                    .unwrap();
                println!("{name} depth {depth}: {:?}", handle.join());
            }
        }
    }
}
