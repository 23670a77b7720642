//! Tests of SQL analysis where parsing is hard: client commands, statements the
//! parser rejects, hostile nesting and sizes, arbitrary text. Only analysed, never run.

use proptest::prelude::*;

use super::tests::{ALL_DIALECTS, analyse, found, found_in, pair, unparsed};
use super::{DbAnalysis, SqlDialect};
use crate::Finding;

#[test]
fn one_unparseable_statement_does_not_hide_another() {
    let sql = "CLUSTER orders; DROP TABLE users; REINDEX TABLE orders;";
    let (findings, analysis) = analyse(sql, SqlDialect::Postgres);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].kind, "db.drop-table");
    // What failed (CLUSTER, REINDEX) has no destructive keyword: the call stays clear.
    assert_eq!(analysis.unparsed, None);
}

#[test]
fn unparseable_destructive_statements_are_reported_with_a_guess() {
    let (findings, analysis) = analyse("DROP OWNED BY bob; SELECT 1", SqlDialect::Postgres);
    assert_eq!(findings, []);
    let reason = analysis.unparsed.unwrap_or_default();
    assert!(
        reason.contains("statement 1") && reason.contains("DROP"),
        "{reason}"
    );

    // MySQL's TRUNCATE has no RESTART IDENTITY: unparsed, but still a truncation.
    let sql = "TRUNCATE logs RESTART IDENTITY";
    assert_eq!(
        found_in(sql, SqlDialect::MySql),
        [pair("db.truncate", "logs")]
    );
    assert!(unparsed(sql, SqlDialect::MySql).is_some());

    let sql = "DROP TABLE t WITH GARBAGE";
    assert_eq!(
        found_in(sql, SqlDialect::Sqlite),
        [pair("db.drop-table", "t")]
    );
}

#[test]
fn psql_variables_stand_for_names_and_values() {
    let (findings, analysis) = analyse("DROP TABLE IF EXISTS :tbl;", SqlDialect::Postgres);
    assert_eq!(analysis.unparsed, None);
    assert_eq!(findings[0].subject.as_deref(), Some(":tbl"));
    assert_eq!(found("DELETE FROM t WHERE name = :'name'"), []);
    assert_eq!(found("DELETE FROM :\"tbl\" WHERE id = :id"), []);
    assert_eq!(found("UPDATE t SET a = :a"), [pair("db.update-all", "t")]);
    assert_eq!(
        found("SELECT arr[1:n] FROM t; TRUNCATE t"),
        [pair("db.truncate", "t")]
    );
}

#[test]
fn do_blocks_are_looked_into() {
    let sql = "DO $$ BEGIN DROP TABLE audit; END $$;";
    let (findings, analysis) = analyse(sql, SqlDialect::Postgres);
    assert_eq!(findings[0].subject.as_deref(), Some("audit"));
    assert!(
        analysis
            .unparsed
            .is_some_and(|reason| reason.contains("DO block"))
    );
    assert_eq!(
        analyse(
            "DO $$ BEGIN RAISE NOTICE 'hi'; END $$",
            SqlDialect::Postgres
        )
        .1
        .unparsed,
        None
    );
}

#[test]
fn unterminated_text_is_searched_for_words() {
    let reason = unparsed("DELETE FROM t WHERE name = 'open", SqlDialect::Postgres);
    assert!(reason.is_some_and(|r| r.contains("DELETE")));
    assert_eq!(unparsed("SELECT 'open", SqlDialect::Postgres), None);
}

#[test]
fn psql_meta_commands_are_not_sql() {
    let sql = "\\c shop\n\\dt\nDROP TABLE users;\n\\x on\nSELECT 1 \\gset\n\\q\n";
    assert_eq!(
        analyse(sql, SqlDialect::Postgres),
        (
            vec![Finding {
                kind: "db.drop-table".into(),
                subject: Some("users".into()),
                detail: "DROP TABLE users".into(),
            }],
            DbAnalysis::default()
        )
    );
    // `\g` sends the buffer, as `;` would.
    assert_eq!(
        found("DELETE FROM a WHERE id = 1 \\g\nDROP TABLE b"),
        [pair("db.drop-table", "b")]
    );
}

#[test]
fn included_files_and_shell_escapes_are_unknown() {
    for sql in [
        "\\i migrate.sql",
        "\\ir ./down.sql",
        "\\! rm -rf data",
        "SELECT 'x' \\gexec",
    ] {
        assert!(unparsed(sql, SqlDialect::Postgres).is_some(), "{sql}");
    }
    let reason = unparsed("\\i drop_all.sql", SqlDialect::Postgres).unwrap_or_default();
    assert!(reason.contains("drop_all.sql"), "{reason}");
    assert!(unparsed("source /tmp/x.sql", SqlDialect::MySql).is_some());
    assert!(unparsed("\\. /tmp/x.sql", SqlDialect::MySql).is_some());
    assert!(unparsed(".read x.sql", SqlDialect::Sqlite).is_some());
    assert!(unparsed(".shell rm x", SqlDialect::Sqlite).is_some());
}

#[test]
fn sqlite_dot_commands_are_not_sql() {
    let sql = ".tables\n.schema users\n.mode csv\nDELETE FROM users;\n.quit\n";
    assert_eq!(
        found_in(sql, SqlDialect::Sqlite),
        [pair("db.delete-all", "users")]
    );
    assert_eq!(unparsed(sql, SqlDialect::Sqlite), None);
}

#[test]
fn mysql_client_commands() {
    let sql =
        "DELIMITER //\nCREATE TABLE t (id int)//\nDROP TABLE u//\nDELIMITER ;\nSELECT 1 \\G\n";
    assert_eq!(
        found_in(sql, SqlDialect::MySql),
        [pair("db.drop-table", "u")]
    );
    assert_eq!(unparsed(sql, SqlDialect::MySql), None);
}

#[test]
fn mysql_executable_comments_are_read_as_mysql_runs_them() {
    for sql in [
        "DROP DATABASE /*!32312 IF EXISTS*/ shop",
        "/*!DROP DATABASE shop*/",
        "SELECT 1; /*!40101 DROP DATABASE shop */;",
        "/*M!100100 DROP DATABASE shop */",
    ] {
        assert_eq!(
            found_in(sql, SqlDialect::MySql),
            [pair("db.drop-database", "shop")],
            "{sql}"
        );
    }
    // Ordinary comments stay comments; other dialects are untouched.
    assert_eq!(
        found_in("/* DROP DATABASE shop */ SELECT 1", SqlDialect::MySql),
        []
    );
    assert_eq!(
        found_in("SELECT 1 /*!50000 , 2 */", SqlDialect::MySql),
        Vec::<(String, String)>::new()
    );
}

#[test]
fn copy_rows_are_data() {
    let sql = "COPY notes (body) FROM stdin;\ndelete everything\ndrop it\n\\.\nDROP TABLE old;\n";
    assert_eq!(analyse(sql, SqlDialect::Postgres).1.unparsed, None);
    assert_eq!(found(sql), [pair("db.drop-table", "old")]);
}

#[test]
fn details_are_short() {
    let long_name = "x".repeat(200);
    let (findings, _) = analyse(&format!("DROP TABLE {long_name}"), SqlDialect::Postgres);
    assert!(findings[0].detail.chars().count() <= 80);
    assert_eq!(findings[0].subject.as_deref(), Some(long_name.as_str()));
}

/// Nesting the parser may meet, each repeated up to its token budget (where the
/// recursion limit must stop it) and far beyond (where it must not be parsed at all).
const NESTING_PREFIXES: [&str; 24] = [
    "(",
    "NOT ",
    "- ",
    "~",
    "ARRAY[",
    "[",
    "f(",
    "CAST(",
    "ROW(",
    "(SELECT ",
    "CASE WHEN ",
    "EXISTS (SELECT ",
    "1 IN (",
    "1 BETWEEN 1 AND ",
    "INTERVAL ",
    "EXPLAIN ",
    "PREPARE p AS ",
    "WITH a AS (",
    "(a JOIN ",
    "LATERAL (SELECT ",
    "{",
    "x -> ",
    "1 IS NOT ",
    "a COLLATE ",
];

#[test]
fn deep_nesting_returns_quickly_without_overflow() {
    for prefix in NESTING_PREFIXES {
        // Within the token budget: parsed, and stopped by the recursion limit.
        let deep = format!("SELECT {}", prefix.repeat(500));
        for dialect in ALL_DIALECTS {
            assert_eq!(analyse(&deep, dialect).1.unparsed, None, "{prefix}");
        }
        let repeat = 19_000 / prefix.split_whitespace().count().max(1) / 2;
        let deep = format!("SELECT {}", prefix.repeat(repeat));
        assert_eq!(
            analyse(&deep, SqlDialect::Generic).1.unparsed,
            None,
            "{prefix}"
        );
        let deep = format!("DELETE FROM t WHERE {}", prefix.repeat(500));
        assert!(
            analyse(&deep, SqlDialect::Generic).1.unparsed.is_some(),
            "{prefix}"
        );
        let deep = format!("CREATE TABLE t (a {}", prefix.repeat(500));
        let _ = analyse(&deep, SqlDialect::Generic);
    }
    for prefix in ["ARRAY<", "STRUCT<a ", "MAP(int, ", "CHECK ("] {
        let deep = format!("CREATE TABLE t (a {}", prefix.repeat(9_000));
        let _ = analyse(&deep, SqlDialect::Generic);
    }
    for (prefix, repeat) in [("(", 100_000), ("NOT ", 25_000), ("ARRAY[", 25_000)] {
        // Beyond it: not parsed, only searched for keywords.
        let deep = format!("SELECT {}", prefix.repeat(repeat));
        assert_eq!(
            analyse(&deep, SqlDialect::Postgres).1.unparsed,
            None,
            "{prefix}"
        );
        let deep = format!("DELETE FROM t WHERE {}", prefix.repeat(repeat));
        assert!(
            analyse(&deep, SqlDialect::Postgres).1.unparsed.is_some(),
            "{prefix}"
        );
    }
}

#[test]
fn long_chains_are_parsed_or_searched_without_overflow() {
    // Left-leaning chains parse without recursion but build deep trees, whose drop
    // recurses.
    for (operator, tokens) in [
        (" + 1", 2),
        (" AND 1", 2),
        ("::int", 2),
        (" UNION SELECT 1", 3),
        (" || 'a'", 2),
        (" IS NULL", 2),
        ("[1]", 3),
    ] {
        let long = format!("DELETE FROM t WHERE 1{}", operator.repeat(19_000 / tokens));
        let _ = analyse(&long, SqlDialect::Postgres);
        let long = format!("DROP TABLE t; SELECT 1{}", operator.repeat(25_000 / tokens));
        assert_eq!(found(&long), [pair("db.drop-table", "t")], "{operator}");
    }
}

#[test]
fn oversized_text_is_only_searched() {
    let big = format!("SELECT 1;{}", " ".repeat(super::MAX_INPUT_BYTES));
    assert_eq!(
        analyse(&big, SqlDialect::Postgres),
        (vec![], DbAnalysis::default())
    );
    let reason = unparsed(&format!("{big} DROP TABLE t"), SqlDialect::Postgres);
    assert!(reason.is_some_and(|r| r.contains("too large")));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_any_text(text in "\\PC{0,300}") {
        for dialect in ALL_DIALECTS {
            let _ = analyse(&text, dialect);
        }
    }

    #[test]
    fn never_panics_on_sql_like_text(
        parts in prop::collection::vec(
            prop::sample::select(vec![
                "DROP", "TABLE", "DELETE", "FROM", "WHERE", "UPDATE", "SET", "TRUNCATE", "ALTER",
                "SELECT", "WITH", "AS", "(", ")", ";", "'", "\"", "`", "$$", "--", "/*", "*/",
                "\\", "\\i", "\n.", "\n\\", ":x", "1=1", "t", "public.t", ",", "=", "DO", "\n",
                "DELIMITER", "//", "COPY t FROM STDIN;\n", "\n\\.\n", "${", "[", "]", "NOT",
            ]),
            0..40,
        )
    ) {
        let text = parts.join(" ");
        for dialect in ALL_DIALECTS {
            let (findings, _) = analyse(&text, dialect);
            for finding in findings {
                prop_assert!(finding.detail.chars().count() <= 80);
            }
        }
    }
}
