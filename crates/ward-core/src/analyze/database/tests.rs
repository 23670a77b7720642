//! Tests of SQL analysis. The SQL is only analysed, never run.

use proptest::prelude::*;

use super::{DbAnalysis, SqlDialect, analyze_sql};
use crate::{Action, Finding};

const ALL_DIALECTS: [SqlDialect; 4] = [
    SqlDialect::Postgres,
    SqlDialect::MySql,
    SqlDialect::Sqlite,
    SqlDialect::Generic,
];

fn analyse(sql: &str, dialect: SqlDialect) -> (Vec<Finding>, DbAnalysis) {
    let mut action = Action::default();
    let analysis = analyze_sql(sql, dialect, &mut action);
    (action.findings, analysis)
}

/// `(kind, subject)` of each finding, for Postgres.
fn found(sql: &str) -> Vec<(String, String)> {
    found_in(sql, SqlDialect::Postgres)
}

fn found_in(sql: &str, dialect: SqlDialect) -> Vec<(String, String)> {
    analyse(sql, dialect)
        .0
        .into_iter()
        .map(|f| (f.kind, f.subject.unwrap_or_default()))
        .collect()
}

fn pair(kind: &str, subject: &str) -> (String, String) {
    (kind.to_owned(), subject.to_owned())
}

fn unparsed(sql: &str, dialect: SqlDialect) -> Option<String> {
    analyse(sql, dialect).1.unparsed
}

#[test]
fn drops_of_databases_and_schemas() {
    assert_eq!(
        found("DROP DATABASE shop"),
        [pair("db.drop-database", "shop")]
    );
    assert_eq!(
        found("drop schema if exists billing cascade;"),
        [pair("db.drop-database", "billing")]
    );
    for dialect in ALL_DIALECTS {
        assert_eq!(
            found_in("DROP DATABASE shop", dialect),
            [pair("db.drop-database", "shop")]
        );
    }
}

#[test]
fn drops_of_tables_and_other_objects() {
    let (findings, analysis) = analyse("DROP TABLE users", SqlDialect::Postgres);
    assert_eq!(findings[0].detail, "DROP TABLE users");
    assert_eq!(analysis.unparsed, None);
    assert_eq!(
        found(r#"DROP TABLE IF EXISTS public.users, "Order Items" CASCADE"#),
        [
            pair("db.drop-table", "public.users"),
            pair("db.drop-table", "Order Items")
        ]
    );
    for (sql, subject) in [
        ("DROP VIEW v", "v"),
        ("DROP MATERIALIZED VIEW mv", "mv"),
        ("DROP INDEX idx", "idx"),
        ("DROP SEQUENCE s", "s"),
        ("DROP TYPE mood", "mood"),
        ("DROP FUNCTION f(int)", "f"),
        ("DROP PROCEDURE p", "p"),
        ("DROP TRIGGER tr ON t", "tr"),
        ("DROP DOMAIN d", "d"),
        ("DROP EXTENSION hstore", "hstore"),
    ] {
        assert_eq!(found(sql), [pair("db.drop-table", subject)], "{sql}");
    }
    assert_eq!(
        found_in("DROP TABLE `weird name`", SqlDialect::MySql),
        [pair("db.drop-table", "weird name")]
    );
    assert_eq!(
        found_in("DROP INDEX idx ON t", SqlDialect::MySql),
        [pair("db.drop-table", "idx")]
    );
    assert_eq!(
        found_in("drop table if exists t;", SqlDialect::Sqlite),
        [pair("db.drop-table", "t")]
    );
}

#[test]
fn truncations() {
    assert_eq!(found("TRUNCATE orders"), [pair("db.truncate", "orders")]);
    assert_eq!(
        found("TRUNCATE TABLE a, b RESTART IDENTITY CASCADE"),
        [pair("db.truncate", "a"), pair("db.truncate", "b")]
    );
    assert_eq!(
        found_in("TRUNCATE TABLE logs", SqlDialect::MySql),
        [pair("db.truncate", "logs")]
    );
}

#[test]
fn deletes_without_a_real_where() {
    let (findings, _) = analyse("DELETE FROM orders", SqlDialect::Postgres);
    assert_eq!(findings[0].detail, "DELETE FROM orders without WHERE");
    for sql in [
        "delete from orders;",
        "DELETE FROM orders WHERE 1=1",
        "DELETE FROM orders WHERE true",
        "DELETE FROM orders WHERE (1 = 1) OR status = 'x'",
        "DELETE FROM orders WHERE NOT false",
        "DELETE FROM orders WHERE id = id",
        "DELETE FROM orders WHERE 2 > 1",
        "DELETE FROM orders USING customers",
        "WITH stale AS (SELECT 1) DELETE FROM orders",
        "WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone",
        "EXPLAIN ANALYZE DELETE FROM orders",
        "PREPARE wipe AS DELETE FROM orders",
    ] {
        assert_eq!(found(sql), [pair("db.delete-all", "orders")], "{sql}");
    }
    assert_eq!(
        found_in("DELETE FROM orders LIMIT 10", SqlDialect::MySql),
        [pair("db.delete-all", "orders")]
    );
    assert_eq!(
        found_in("DELETE FROM orders WHERE 1", SqlDialect::Sqlite),
        [pair("db.delete-all", "orders")]
    );
    assert_eq!(
        found(r#"DELETE FROM "Sales"."Orders""#),
        [pair("db.delete-all", "Sales.Orders")]
    );
}

#[test]
fn filtered_deletes_and_updates_are_fine() {
    for sql in [
        "DELETE FROM orders WHERE id = 1",
        "DELETE FROM orders WHERE created_at < now() - interval '1 day'",
        "DELETE FROM orders WHERE 1 = 0",
        "DELETE FROM orders o USING customers c WHERE o.customer_id = c.id",
        "UPDATE orders SET status = 'done' WHERE id = 7",
        "UPDATE orders SET paid = true WHERE id IN (SELECT id FROM x)",
        "EXPLAIN DELETE FROM orders",
    ] {
        assert_eq!(found(sql), [], "{sql}");
    }
    assert_eq!(
        found_in("DELETE t FROM t JOIN u ON t.id = u.id", SqlDialect::MySql),
        []
    );
    assert_eq!(
        found_in(
            "UPDATE t JOIN u ON t.id = u.id SET t.a = 1",
            SqlDialect::MySql
        ),
        []
    );
}

#[test]
fn updates_without_a_real_where() {
    let (findings, _) = analyse("UPDATE users SET admin = true", SqlDialect::Postgres);
    assert_eq!(findings[0].detail, "UPDATE users without WHERE");
    assert_eq!(
        found("update users set admin = true where 1=1"),
        [pair("db.update-all", "users")]
    );
    assert_eq!(
        found("UPDATE users SET a = 1 FROM teams"),
        [pair("db.update-all", "users")]
    );
    for dialect in ALL_DIALECTS {
        assert_eq!(
            found_in("UPDATE users SET a = 1", dialect),
            [pair("db.update-all", "users")]
        );
    }
}

#[test]
fn alter_table_drops() {
    assert_eq!(
        found("ALTER TABLE users DROP COLUMN email, DROP CONSTRAINT users_pk"),
        [
            pair("db.alter-drop", "users"),
            pair("db.alter-drop", "users")
        ]
    );
    let (findings, _) = analyse("ALTER TABLE users DROP COLUMN email", SqlDialect::Postgres);
    assert_eq!(findings[0].detail, "ALTER TABLE users DROP COLUMN email");
    assert_eq!(
        found_in("ALTER TABLE t DROP PRIMARY KEY", SqlDialect::MySql),
        [pair("db.alter-drop", "t")]
    );
    assert_eq!(
        found_in("ALTER TABLE t DROP FOREIGN KEY fk", SqlDialect::MySql),
        [pair("db.alter-drop", "t")]
    );
    for sql in [
        "ALTER TABLE users ADD COLUMN age int",
        "ALTER TABLE users RENAME COLUMN a TO b",
        "ALTER TABLE users ALTER COLUMN a SET NOT NULL",
    ] {
        assert_eq!(found(sql), [], "{sql}");
    }
}

#[test]
fn harmless_statements_give_nothing() {
    for dialect in ALL_DIALECTS {
        for sql in [
            "SELECT * FROM users",
            "INSERT INTO users (name) VALUES ('a')",
            "CREATE TABLE t (id int)",
            "BEGIN; SELECT 1; COMMIT;",
            "",
            "   \n ",
            "-- only a comment",
        ] {
            assert_eq!(
                analyse(sql, dialect),
                (vec![], DbAnalysis::default()),
                "{sql}"
            );
        }
    }
}

#[test]
fn strings_and_comments_are_data() {
    for sql in [
        "SELECT 'DROP TABLE x'",
        "INSERT INTO notes VALUES ('delete from users')",
        "SELECT 1 -- DROP TABLE users",
        "SELECT 1 /* TRUNCATE users */",
        "SELECT $$DROP DATABASE x$$",
        r#"SELECT "drop" FROM t"#,
    ] {
        assert_eq!(
            analyse(sql, SqlDialect::Postgres),
            (vec![], DbAnalysis::default()),
            "{sql}"
        );
    }
}

#[test]
fn many_statements_are_all_seen() {
    assert_eq!(
        found(
            "BEGIN;\nSELECT 1;\nDROP TABLE a;\nDELETE FROM b WHERE id = 2;\nTRUNCATE c;\nCOMMIT;"
        ),
        [pair("db.drop-table", "a"), pair("db.truncate", "c")]
    );
}

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

    // A psql variable as the table's name does not parse; the keywords are plain.
    let (findings, analysis) = analyse("DROP TABLE IF EXISTS :tbl;", SqlDialect::Postgres);
    assert!(analysis.unparsed.is_some());
    assert_eq!(findings[0].kind, "db.drop-table");
    assert_eq!(findings[0].subject.as_deref(), Some("?"));

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
    let started = std::time::Instant::now();
    for prefix in NESTING_PREFIXES {
        for repeat in [
            19_000 / prefix.split_whitespace().count().max(1) / 2,
            100_000,
        ] {
            let deep = format!("SELECT {}", prefix.repeat(repeat));
            for dialect in ALL_DIALECTS {
                assert_eq!(analyse(&deep, dialect).1.unparsed, None, "{prefix}");
            }
            let deep = format!("DELETE FROM t WHERE {}", prefix.repeat(repeat));
            assert!(
                analyse(&deep, SqlDialect::Generic).1.unparsed.is_some(),
                "{prefix}"
            );
            let deep = format!("CREATE TABLE t (a {}", prefix.repeat(repeat));
            let _ = analyse(&deep, SqlDialect::Generic);
        }
    }
    for prefix in ["ARRAY<", "STRUCT<a ", "MAP(int, ", "CHECK ("] {
        let deep = format!("CREATE TABLE t (a {}", prefix.repeat(9_000));
        let _ = analyse(&deep, SqlDialect::Generic);
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
}

#[test]
fn long_chains_are_parsed_or_searched_without_overflow() {
    // Left-leaning chains parse without recursion but build deep trees.
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
        let (findings, analysis) = analyse(&long, SqlDialect::Postgres);
        assert!(
            findings.is_empty() || analysis.unparsed.is_none(),
            "{operator}"
        );
        let long = format!("DROP TABLE t; SELECT 1{}", operator.repeat(100_000));
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

#[test]
#[ignore]
fn timing_probe() {
    for prefix in NESTING_PREFIXES {
        for repeat in [
            19_000 / prefix.split_whitespace().count().max(1) / 2,
            100_000,
        ] {
            let deep = format!("SELECT {}", prefix.repeat(repeat));
            let started = std::time::Instant::now();
            let _ = analyse(&deep, SqlDialect::Postgres);
            eprintln!("{prefix:>20} {repeat:>6} {:?}", started.elapsed());
        }
    }
    let big = "INSERT INTO t VALUES (1, 'abc', NULL);\n".repeat(25_000);
    let started = std::time::Instant::now();
    let _ = analyse(&big, SqlDialect::Postgres);
    eprintln!("inserts {} bytes {:?}", big.len(), started.elapsed());
    let big = format!(
        "INSERT INTO t VALUES {};",
        "(1, 'abc', NULL),".repeat(50_000)
    );
    let started = std::time::Instant::now();
    let _ = analyse(&big, SqlDialect::Postgres);
    eprintln!("one insert {} bytes {:?}", big.len(), started.elapsed());
    let started = std::time::Instant::now();
    let _ = analyse("DELETE FROM t WHERE id = 1", SqlDialect::Postgres);
    eprintln!("small {:?}", started.elapsed());
}
