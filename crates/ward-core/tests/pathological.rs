#![allow(clippy::print_stdout, clippy::unwrap_used)]
use std::time::Instant;
use ward_core::AnalysisContext;
use ward_core::analyze::analyze_command_line;

fn context() -> AnalysisContext {
    AnalysisContext {
        cwd: "/home/dev/app".to_owned(),
        home: "/home/dev".to_owned(),
        branch: None,
    }
}

fn probe(name: &str, line: &str) {
    if let Ok(only) = std::env::var("PROBE") {
        if !only.split(',').any(|o| o == name) {
            return;
        }
    }
    let start = Instant::now();
    let action = analyze_command_line(line, &context());
    let programs: Vec<String> = action
        .commands
        .iter()
        .take(5)
        .map(|c| c.program.chars().take(40).collect())
        .collect();
    println!(
        "{name}: {:?} len={} opaque={} ncmd={} progs={:?} ntargets={} notes={:?} cats={:?}",
        start.elapsed(),
        line.len(),
        action.opaque,
        action.commands.len(),
        programs,
        action.targets.len(),
        action
            .notes
            .iter()
            .map(|n| format!("[{}] {}", n.len(), n.chars().take(120).collect::<String>()))
            .collect::<Vec<_>>(),
        action.categories
    );
}

fn nested_bash_c(levels: usize) -> String {
    let mut line = "rm -rf /".to_owned();
    for _ in 0..levels {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('$', "\\$")
            .replace('`', "\\`");
        line = format!("bash -c \"{escaped}\"");
    }
    line
}

#[test]
fn probe_all() {
    let a = "a".repeat(10 << 20);
    probe("echo_10mb", &format!("echo {a}"));
    probe(
        "subst_100k",
        &format!("{}{}", "$(".repeat(100_000), ")".repeat(100_000)),
    );
    probe(
        "subst_4000",
        &format!("{}{}", "$(".repeat(4000), ")".repeat(4000)),
    );
    probe(
        "subst_8000",
        &format!("{}{}", "$(".repeat(8000), ")".repeat(8000)),
    );
    probe(
        "heredoc_5mb",
        &format!(
            "bash <<'EOF'\n{}EOF\n",
            "echo hello world\n".repeat((5 << 20) / 17)
        ),
    );
    probe(
        "heredoc_900k",
        &format!(
            "bash <<'EOF'\n{}EOF\n",
            "echo hello world\n".repeat(900_000 / 17)
        ),
    );
    probe("true_100k", &vec!["true"; 100_000].join(";"));
    probe("paren_50k", &"(".repeat(50_000));
    probe("paren_8000", &"(".repeat(8000));
    for n in [
        10usize, 15, 20, 25, 30, 40, 48, 49, 60, 100, 200, 400, 800, 1600,
    ] {
        probe(&format!("paren_{n}"), &"(".repeat(n));
        probe(&format!("sparen_{n}"), &"( ".repeat(n));
        probe(&format!("brace_{n}"), &"{ ".repeat(n));
        probe(&format!("dsub_{n}"), &"$(".repeat(n));
    }
    probe(
        "paren_8000_closed",
        &format!("{}rm -rf /{}", "(".repeat(8000), ")".repeat(8000)),
    );
    probe("quotes_1mb_even", &"'".repeat(1 << 20));
    probe("quotes_1mb_odd", &"'".repeat((1 << 20) - 1));
    probe("backticks_100k", &"`".repeat(100_000));
    probe("backticks_99999", &"`".repeat(99_999));
    probe("bash_c_12", &nested_bash_c(12));
    println!("bash_c_16 len {}", nested_bash_c(16).len());
    probe("bash_c_16", &nested_bash_c(16));
    probe("bash_c_5", &nested_bash_c(5));
    probe("eval_200", &format!("{}rm -rf /", "eval ".repeat(200)));
    probe("eval_5", &format!("{}rm -rf /", "eval ".repeat(5)));
    let mut heredocs = "rm -rf /\n".to_owned();
    for i in (0..200).rev() {
        heredocs = format!("bash <<'E{i}'\n{heredocs}E{i}\n");
    }
    probe("heredoc_nest_200", &heredocs);
    probe("fffd", &"\u{FFFD}".repeat(1000));
    probe(
        "fffd_rm",
        &"rm -rf \u{FFFD}/ \u{FFFD}\u{FFFD}; \u{FFFD} -c x",
    );
    probe(
        "lossy",
        &String::from_utf8_lossy(b"rm -rf /\xff\xfe\xc3 && \xed\xa0\x80 bash -c 'echo \xc0\xaf'"),
    );
    probe("nul", "rm -rf /\0 && echo \0\0 > /tmp/x\0y");
    probe("nul_only", &"\0".repeat(1000));
    probe("brace_100k", &"{ ".repeat(100_000));
    probe("dbrack_100k", &"[[ ".repeat(100_000));
    let mut hd = "cat".to_owned();
    for i in 0..10_000 {
        hd.push_str(&format!(" <<E{i}"));
    }
    hd.push('\n');
    for i in 0..10_000 {
        hd.push_str(&format!("body {i}\nE{i}\n"));
    }
    probe("heredocs_10k_one_cmd", &hd);
    let mut hd2 = String::new();
    for i in 0..10_000 {
        hd2.push_str(&format!("cat <<E{i} > f{i}; "));
    }
    hd2.push('\n');
    for i in 0..10_000 {
        hd2.push_str(&format!("body {i}\nE{i}\n"));
    }
    probe("heredocs_10k_cmds", &hd2);
    probe("heredocs_10k_unterminated", &"cat <<EOF ".repeat(10_000));
}
