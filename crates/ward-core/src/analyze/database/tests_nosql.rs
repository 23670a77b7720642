//! Tests of redis-cli and mongo shell analysis. Only analysed, never run.

use proptest::prelude::*;

use super::{DbAnalysis, analyze_mongo, analyze_redis};
use crate::{Action, Finding};

fn redis(words: &[&str]) -> (Vec<Finding>, DbAnalysis) {
    let mut action = Action::default();
    let analysis = analyze_redis(words, &mut action);
    (action.findings, analysis)
}

fn mongo(script: &str) -> (Vec<Finding>, DbAnalysis) {
    let mut action = Action::default();
    let analysis = analyze_mongo(script, &mut action);
    (action.findings, analysis)
}

/// `(kind, subject)` of each finding.
fn pairs(findings: &[Finding]) -> Vec<(&str, &str)> {
    findings
        .iter()
        .map(|f| (f.kind.as_str(), f.subject.as_deref().unwrap_or("")))
        .collect()
}

fn redis_found(words: &[&str]) -> Vec<(String, String)> {
    owned(&pairs(&redis(words).0))
}

fn mongo_found(script: &str) -> Vec<(String, String)> {
    owned(&pairs(&mongo(script).0))
}

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(kind, subject)| ((*kind).to_owned(), (*subject).to_owned()))
        .collect()
}

fn pair(kind: &str, subject: &str) -> (String, String) {
    (kind.to_owned(), subject.to_owned())
}

#[test]
fn redis_flushall_drops_every_database() {
    for words in [
        &["FLUSHALL"][..],
        &["flushall", "ASYNC"],
        &["FlushAll", "sync"],
        &[
            "-h",
            "cache.internal",
            "-p",
            "6380",
            "-a",
            "secret",
            "flushall",
        ],
        &["-n", "3", "--tls", "-c", "FLUSHALL"],
        &[
            "--user",
            "admin",
            "--pass",
            "pw",
            "--no-auth-warning",
            "FLUSHALL",
        ],
    ] {
        assert_eq!(
            redis_found(words),
            [pair("db.drop-database", "*")],
            "{words:?}"
        );
    }
    let (findings, analysis) = redis(&["FLUSHALL"]);
    assert!(findings[0].detail.starts_with("FLUSHALL"));
    assert_eq!(analysis, DbAnalysis::default());
}

#[test]
fn redis_flushdb_names_its_database() {
    assert_eq!(redis_found(&["FLUSHDB"]), [pair("db.flush", "0")]);
    assert_eq!(
        redis_found(&["-n", "2", "flushdb", "async"]),
        [pair("db.flush", "2")]
    );
    assert_eq!(
        redis_found(&["-u", "redis://user:pw@host:6379/5", "flushdb"]),
        [pair("db.flush", "5")]
    );
}

#[test]
fn redis_other_commands_are_fine() {
    for words in [
        &[][..],
        &["-h", "localhost"],
        &["GET", "flushall"],
        &["SET", "k", "FLUSHDB"],
        &["KEYS", "*"],
        &["-n", "flushall"],
        &["--scan", "--pattern", "flush*"],
        &["-"],
    ] {
        assert_eq!(redis(words), (vec![], DbAnalysis::default()), "{words:?}");
    }
}

#[test]
fn redis_scripts_and_cluster_calls() {
    let script = "return redis.call('FLUSHDB')";
    assert_eq!(redis_found(&["EVAL", script, "0"]), [pair("db.flush", "0")]);
    assert_eq!(
        redis_found(&["--cluster", "call", "10.0.0.1:7000", "FLUSHALL"]),
        [pair("db.drop-database", "*")]
    );
    assert_eq!(redis_found(&["--cluster", "check", "10.0.0.1:7000"]), []);
    assert!(redis(&["--eval", "wipe.lua"]).1.unparsed.is_some());
    assert!(redis(&["EVALSHA", "abc123", "0"]).1.unparsed.is_some());
}

#[test]
fn mongo_drops() {
    assert_eq!(
        mongo_found("db.dropDatabase()"),
        [pair("db.drop-database", "")]
    );
    assert_eq!(
        mongo_found("use shop\ndb.dropDatabase()"),
        [pair("db.drop-database", "shop")]
    );
    assert_eq!(
        mongo_found("db.getSiblingDB('audit').dropDatabase();"),
        [pair("db.drop-database", "audit")]
    );
    for script in [
        "db.users.drop()",
        "db.users.drop({ writeConcern: { w: 1 } })",
        "db.getCollection('users').drop()",
        "db.getCollection(`users`).drop()",
        "db['users'].drop()",
        "db . users . drop ( )",
        "db.runCommand({ drop: 'users' })",
    ] {
        assert_eq!(
            mongo_found(script),
            [pair("db.drop-table", "users")],
            "{script}"
        );
    }
    let (findings, _) = mongo("db.users.drop()");
    assert_eq!(findings[0].detail, "db.users.drop()");
    assert_eq!(
        mongo_found("db.adminCommand({dropDatabase: 1})"),
        [pair("db.drop-database", "")]
    );
    // A computed collection: still a drop, without a subject.
    assert_eq!(
        mongo_found("db.getCollectionNames().forEach(c => db[c].drop())"),
        [pair("db.drop-table", "")]
    );
}

#[test]
fn mongo_deletes_and_updates_of_everything() {
    assert_eq!(
        mongo_found("db.orders.deleteMany({})"),
        [pair("db.delete-all", "orders")]
    );
    assert_eq!(
        mongo_found("db.orders.deleteMany( { } )"),
        [pair("db.delete-all", "orders")]
    );
    assert_eq!(
        mongo_found("db.orders.remove({})"),
        [pair("db.delete-all", "orders")]
    );
    assert_eq!(
        mongo_found("db.orders.updateMany({}, { $set: { paid: true } })"),
        [pair("db.update-all", "orders")]
    );
    assert_eq!(
        mongo_found("db.orders.update({}, {$set: {a: 1}}, {multi: true})"),
        [pair("db.update-all", "orders")]
    );
}

#[test]
fn mongo_filtered_and_harmless_calls_are_fine() {
    for script in [
        "db.orders.deleteMany({ status: 'void' })",
        "db.orders.remove({ _id: 1 })",
        "db.orders.updateMany({ a: 1 }, { $set: { b: 2 } })",
        "db.orders.update({}, {$set: {a: 1}})",
        "db.orders.deleteOne({})",
        "db.orders.find({})",
        "db.orders.insertOne({ note: 'db.orders.drop()' })",
        "// db.dropDatabase()\nprint('done')",
        "/* db.users.drop() */",
        "const s = \"db.dropDatabase()\";",
        "print(`db.users.drop()`)",
        "db.orders.find({ name: /it's/ })",
        "",
    ] {
        assert_eq!(mongo(script), (vec![], DbAnalysis::default()), "{script}");
    }
}

#[test]
fn mongo_template_expressions_are_code() {
    assert_eq!(
        mongo_found("print(`${db.users.drop()}`)"),
        [pair("db.drop-table", "users")]
    );
}

#[test]
fn mongo_regex_and_strings_do_not_hide_code() {
    // The quote inside the regular expression does not open a string.
    assert_eq!(
        mongo_found("db.a.find({ n: /it's/ });\ndb.users.drop()"),
        [pair("db.drop-table", "users")]
    );
    // An unterminated string ends at its line.
    assert_eq!(
        mongo_found("print('oops\ndb.users.drop()"),
        [pair("db.drop-table", "users")]
    );
}

#[test]
fn mongo_dynamic_code_is_unknown() {
    for script in ["load('cleanup.js')", "eval(code)", "new Function(body)()"] {
        let reason = mongo(script).1.unparsed.unwrap_or_default();
        assert!(reason.contains("cannot see"), "{script}: {reason}");
    }
}

proptest! {
    #[test]
    fn mongo_never_panics(script in "\\PC{0,300}") {
        let _ = mongo(&script);
    }

    #[test]
    fn mongo_never_panics_on_js_like_text(
        parts in prop::collection::vec(
            prop::sample::select(vec![
                "db", ".", "users", "drop", "(", ")", "{", "}", "`", "${", "'", "\"", "/",
                "//", "/*", "*/", "\\", "\n", "deleteMany", "[", "]", ",", "use", "x",
            ]),
            0..60,
        )
    ) {
        let _ = mongo(&parts.concat());
    }

    #[test]
    fn redis_never_panics(words in prop::collection::vec("\\PC{0,12}", 0..8)) {
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let _ = redis(&words);
    }
}
