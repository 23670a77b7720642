use serde_json::json;

use super::*;

/// Removes element `index` of the array at the root (or inside the root object's
/// `list` key).
fn remove_element(text: &str, index: usize) -> String {
    let document = Document::parse(text).unwrap();
    let array = match document.root().unwrap() {
        AstValue::Array(array) => array,
        AstValue::Object(object) => object.get_array("list").unwrap(),
        _ => panic!("no array"),
    };
    let splices = document.remove(&Container::of_array(array), index).unwrap();
    let result = apply(text, splices).unwrap();
    Document::parse(&result).unwrap_or_else(|error| panic!("{result:?}: {error}"));
    result
}

/// Appends `value` to the array at the root (or inside the root object's `list` key).
fn append_element(text: &str, value: &serde_json::Value) -> String {
    let document = Document::parse(text).unwrap();
    let array = match document.root().unwrap() {
        AstValue::Array(array) => array,
        AstValue::Object(object) => object.get_array("list").unwrap(),
        _ => panic!("no array"),
    };
    let member = Member { key: None, value };
    let splice = document
        .append(&Container::of_array(array), &member)
        .unwrap();
    apply(text, vec![splice]).unwrap()
}

#[test]
fn removing_from_one_line_arrays() {
    assert_eq!(remove_element("[1, 2, 3]", 0), "[2, 3]");
    assert_eq!(remove_element("[1, 2, 3]", 1), "[1, 3]");
    assert_eq!(remove_element("[1, 2, 3]", 2), "[1, 2]");
    assert_eq!(remove_element("[ 1, 2 ]", 0), "[ 2 ]");
    assert_eq!(remove_element("[ 1, 2 ]", 1), "[ 1 ]");
    assert_eq!(remove_element("[1,2,3]", 1), "[1,3]");
    assert_eq!(remove_element("[1,2,3]", 2), "[1,2]");
    assert_eq!(remove_element("[1, 2,]", 1), "[1,]");
    assert_eq!(remove_element("[ 1 ]", 0), "[]");
    assert_eq!(remove_element("[1,]", 0), "[]");
}

#[test]
fn removing_from_multi_line_arrays() {
    let text = "{\n  \"list\": [\n    1,\n    2,\n    3\n  ]\n}";
    assert_eq!(
        remove_element(text, 0),
        "{\n  \"list\": [\n    2,\n    3\n  ]\n}"
    );
    assert_eq!(
        remove_element(text, 1),
        "{\n  \"list\": [\n    1,\n    3\n  ]\n}"
    );
    assert_eq!(
        remove_element(text, 2),
        "{\n  \"list\": [\n    1,\n    2\n  ]\n}"
    );
    assert_eq!(
        remove_element("{\n  \"list\": [\n    1\n  ]\n}", 0),
        "{\n  \"list\": []\n}"
    );
    assert_eq!(remove_element("[\r\n  1,\r\n  2\r\n]", 1), "[\r\n  1\r\n]");
    assert_eq!(
        remove_element("[\r\n  1,\r\n  2,\r\n]", 1),
        "[\r\n  1,\r\n]"
    );
}

#[test]
fn removing_keeps_comments_about_other_members() {
    assert_eq!(
        remove_element("[\n  1, // about one\n  2\n]", 1),
        "[\n  1 // about one\n]"
    );
    assert_eq!(
        remove_element("[\n  1,\n  // about two\n  2\n]", 0),
        "[\n  // about two\n  2\n]"
    );
    assert_eq!(
        remove_element("[\n  // header\n  1\n]", 0),
        "[\n  // header\n]"
    );
    assert_eq!(remove_element("[ /* none */ 1 ]", 0), "[ /* none */ ]");
    assert_eq!(remove_element("[1, /* two */ 2, 3]", 1), "[1, /* two */ 3]");
}

#[test]
fn appending_follows_the_layout() {
    assert_eq!(append_element("[1, 2]", &json!(3)), "[1, 2, 3]");
    assert_eq!(append_element("[1,2]", &json!(3)), "[1,2,3]");
    assert_eq!(append_element("[\n  1\n]", &json!(3)), "[\n  1,\n  3\n]");
    assert_eq!(
        append_element("[\n\t1\n]", &json!({ "a": [1] })),
        "[\n\t1,\n\t{\n\t  \"a\": [\n\t    1\n\t  ]\n\t}\n]"
    );
    assert_eq!(append_element("[\n  1,\n]", &json!(3)), "[\n  1,\n  3,\n]");
    assert_eq!(
        append_element("[\n  1 // one\n]", &json!(3)),
        "[\n  1,\n  3 // one\n]"
    );
    assert_eq!(append_element("[]", &json!(1)), "[\n  1\n]");
    assert_eq!(
        append_element("{\"list\":[],\"b\":1}", &json!({ "a": 1 })),
        "{\"list\":[{\"a\":1}],\"b\":1}"
    );
    assert_eq!(
        append_element("{\n  \"list\": [\n  ]\n}", &json!(1)),
        "{\n  \"list\": [\n    1\n  ]\n}"
    );
    assert_eq!(
        append_element("{\n  \"list\": [ /* none */ ]\n}", &json!(1)),
        "{\n  \"list\": [\n    1\n   /* none */ ]\n}"
    );
}

#[test]
fn append_then_remove_is_the_identity() {
    let texts = [
        "[1, 2]",
        "[1,2]",
        "[\n  1\n]",
        "[\n  1,\n]",
        "[\n  1 // one\n]",
        "[\n  1, // one\n  2 /* two */\n]",
        "{\n    \"list\": [\n        1\n    ]\n}",
        "[\r\n  1\r\n]",
        "[]",
        "{\"list\":[],\"b\":1}",
    ];
    for text in texts {
        let appended = append_element(text, &json!({ "a": [1, { "b": null }] }));
        let count = match Document::parse(&appended).unwrap().root().unwrap() {
            AstValue::Array(array) => array.elements.len(),
            AstValue::Object(object) => object.get_array("list").unwrap().elements.len(),
            _ => panic!(),
        };
        assert_eq!(remove_element(&appended, count - 1), text, "{appended:?}");
    }
}

#[test]
fn apply_refuses_overlapping_splices() {
    let overlapping = vec![deletion(0, 3), deletion(2, 4)];
    assert!(matches!(
        apply("abcdef", overlapping),
        Err(AgentError::Internal { .. })
    ));
    assert_eq!(
        apply("abcdef", vec![deletion(4, 5), deletion(0, 1)]).unwrap(),
        "bcdf"
    );
}
