//! Tests of SQL analysis: what each statement is found to do. The SQL is only
//! analysed, never run.

use super::{DbAnalysis, SqlDialect, analyze_sql};
use crate::{Action, Finding};

pub(super) const ALL_DIALECTS: [SqlDialect; 4] = [
    SqlDialect::Postgres,
    SqlDialect::MySql,
    SqlDialect::Sqlite,
    SqlDialect::Generic,
];

pub(super) fn analyse(sql: &str, dialect: SqlDialect) -> (Vec<Finding>, DbAnalysis) {
    let mut action = Action::default();
    let analysis = analyze_sql(sql, dialect, &mut action);
    (action.findings, analysis)
}

/// `(kind, subject)` of each finding, for Postgres.
pub(super) fn found(sql: &str) -> Vec<(String, String)> {
    found_in(sql, SqlDialect::Postgres)
}

pub(super) fn found_in(sql: &str, dialect: SqlDialect) -> Vec<(String, String)> {
    analyse(sql, dialect)
        .0
        .into_iter()
        .map(|f| (f.kind, f.subject.unwrap_or_default()))
        .collect()
}

pub(super) fn pair(kind: &str, subject: &str) -> (String, String) {
    (kind.to_owned(), subject.to_owned())
}

pub(super) fn unparsed(sql: &str, dialect: SqlDialect) -> Option<String> {
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
fn create_or_replace_table_drops_the_old_one() {
    assert_eq!(
        found_in("CREATE OR REPLACE TABLE t (id int)", SqlDialect::MySql),
        [pair("db.drop-table", "t")]
    );
    assert_eq!(found("CREATE TABLE IF NOT EXISTS t (id int)"), []);
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
