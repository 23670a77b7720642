//! `ward report` through the binary, on a ledger written by real hook processes:
//! the formats, the file output, the period and project flags, their errors, and
//! `--verify` on a ledger edited behind Ward's back.

use crate::harness::Ctx;

/// A session of the fixtures: reads, a test run that fails, and a denied
/// `rm -rf ~`.
fn recorded() -> Ctx {
    let ctx = Ctx::new();
    ctx.init();
    ctx.hook_fixtures(&[
        "session_start_startup",
        "pre_tool_use_read_source",
        "post_tool_use_read_source",
        "pre_tool_use_ls",
        "post_tool_use_failure_cargo_test",
        "pre_tool_use_rm_rf_home",
    ]);
    ctx
}

#[test]
fn a_report_of_the_last_days_counts_the_recorded_calls() {
    let ctx = recorded();
    let out = ctx.ward(&["report", "--json"]);
    out.assert_success();
    let report = out.json();
    assert_eq!(report["schema"], 1);
    assert_eq!(report["totals"]["calls"], 3);
    assert_eq!(report["totals"]["deny"], 1);
    assert_eq!(report["totals"]["failed"], 1);
    assert_eq!(report["top_rules"][0]["rule"], "fs.delete-home");
    assert_eq!(report["top_rules"][0]["severity"], "critical");
    assert_eq!(report["risk"]["level"], "high");
    assert_eq!(report["by_user"][0]["calls"], 3);
    // The default period is the last 7 days: it has a start and no end.
    assert!(report["period"]["from"].is_string());
    assert!(report["period"]["to"].is_null());

    let markdown = ctx.ward(&["report"]);
    markdown.assert_success();
    assert!(
        markdown.stdout.starts_with("# Ward report\n"),
        "{}",
        markdown.stdout
    );
    assert!(markdown.stdout.contains("## Risk: high"));

    // A period before anything was recorded is empty, not an error.
    let empty = ctx.ward(&[
        "report",
        "--from",
        "2020-01-01",
        "--to",
        "2020-02-01",
        "--json",
    ]);
    empty.assert_success();
    assert_eq!(empty.json()["totals"]["records"], 0);
    assert_eq!(
        empty.json()["risk"]["level"],
        "elevated",
        "the records are not yet checkpointed"
    );
}

#[test]
fn the_format_follows_the_file_and_the_file_is_written_whole() {
    let ctx = recorded();
    let dir = ctx.root.join("reports");
    std::fs::create_dir_all(&dir).unwrap();
    for (file, starts) in [
        ("r.html", "<!DOCTYPE html>"),
        ("r.csv", "section,name,metric,value"),
        ("r.json", "{"),
        ("r.md", "# Ward report"),
    ] {
        let path = dir.join(file);
        let out = ctx.ward(&["report", "--out", path.to_str().unwrap()]);
        out.assert_success();
        assert_eq!(out.stdout, "");
        assert!(
            out.stderr.starts_with("Wrote the ") && out.stderr.contains("risk high"),
            "{}",
            out.render()
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(starts), "{file}: {text}");
    }
    let project = ctx.ward(&[
        "report",
        "--json",
        "--project",
        ctx.root.join("elsewhere").to_str().unwrap(),
    ]);
    project.assert_success();
    assert_eq!(project.json()["totals"]["calls"], 0);
}

#[test]
fn bad_periods_and_formats_are_errors_that_say_what_to_write() {
    let ctx = recorded();
    let out_file = ctx.root.join("report.pdf");
    let cases: [&[&str]; 4] = [
        &["report", "--from", "last tuesday"],
        &["report", "--from", "2026-11-02", "--to", "2026-11-01"],
        &["report", "--since", "7 parsecs"],
        &["report", "--out", out_file.to_str().unwrap()],
    ];
    let mut rendered = String::new();
    for args in cases {
        let out = ctx.ward(args);
        assert_eq!(out.code, 2, "{}", out.render());
        rendered.push_str(&format!("$ ward {}\n{}\n", args.join(" "), out.stderr));
    }
    ctx.settings().bind(|| insta::assert_snapshot!(rendered));
}

#[test]
fn verify_puts_a_tampered_ledger_in_the_report_and_fails() {
    let ctx = recorded();
    let clean = ctx.ward(&["report", "--verify", "--json"]);
    clean.assert_success();
    assert_eq!(clean.json()["integrity"]["verified"]["ok"], true);

    let conn = rusqlite::Connection::open(ctx.ward_home.join("ledger.db")).unwrap();
    conn.execute(
        "UPDATE records SET body = replace(body, 'src/main.rs', 'src/evil.rs') WHERE seq = 3",
        [],
    )
    .unwrap();
    drop(conn);
    let tampered = ctx.ward(&["report", "--verify", "--json"]);
    assert_eq!(tampered.code, 1, "{}", tampered.render());
    let report = tampered.json();
    assert_eq!(report["integrity"]["verified"]["ok"], false);
    assert_eq!(report["risk"]["level"], "critical");
    assert!(
        report["integrity"]["verified"]["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("record 3: "),
        "{report:#}"
    );
}
