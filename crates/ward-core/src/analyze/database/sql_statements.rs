//! Findings from parsed SQL statements.
//!
//! Statements that hold others are followed: CTEs (`WITH d AS (DELETE …) SELECT …`),
//! `EXPLAIN ANALYZE` (which runs its statement), `PREPARE` (run later by `EXECUTE`).
//! Function and trigger bodies are not: they run when called, not now. The walk uses
//! a work list rather than recursion, so a long `UNION` chain costs no stack.

use sqlparser::ast::{
    AlterTableOperation, BinaryOperator, Delete, Expr, FromTable, JoinConstraint, JoinOperator,
    ObjectName, ObjectNamePart, ObjectType, Query, SetExpr, Statement, TableFactor, TableWithJoins,
    UnaryOperator, Update, Value,
};

use super::{ALTER_DROP, DELETE_ALL, DROP_DATABASE, DROP_TABLE, Found, TRUNCATE, UPDATE_ALL};

/// How deep a `WHERE` is looked into for an always-true condition.
const MAX_PREDICATE_DEPTH: usize = 32;

enum Node<'a> {
    Statement(&'a Statement),
    Query(&'a Query),
    SetExpr(&'a SetExpr),
}

/// Every destructive thing `statement` does.
pub(super) fn statement_findings(statement: &Statement) -> Vec<Found> {
    let mut found = Vec::new();
    let mut pending = vec![Node::Statement(statement)];
    while let Some(node) = pending.pop() {
        match node {
            Node::Statement(statement) => {
                direct_findings(statement, &mut found, &mut pending);
            }
            Node::Query(query) => {
                if let Some(with) = &query.with {
                    pending.extend(with.cte_tables.iter().map(|cte| Node::Query(&cte.query)));
                }
                pending.push(Node::SetExpr(&query.body));
            }
            Node::SetExpr(body) => match body {
                SetExpr::Query(query) => pending.push(Node::Query(query)),
                SetExpr::SetOperation { left, right, .. } => {
                    pending.push(Node::SetExpr(right));
                    pending.push(Node::SetExpr(left));
                }
                SetExpr::Insert(statement)
                | SetExpr::Update(statement)
                | SetExpr::Delete(statement)
                | SetExpr::Merge(statement) => pending.push(Node::Statement(statement)),
                SetExpr::Select(_) | SetExpr::Values(_) | SetExpr::Table(_) => {}
            },
        }
    }
    found
}

fn direct_findings<'a>(
    statement: &'a Statement,
    found: &mut Vec<Found>,
    pending: &mut Vec<Node<'a>>,
) {
    match statement {
        Statement::Drop {
            object_type, names, ..
        } => {
            let kind = match object_type {
                ObjectType::Database | ObjectType::Schema => DROP_DATABASE,
                _ => DROP_TABLE,
            };
            for name in names {
                found.push(dropped(kind, &object_type.to_string(), object_name(name)));
            }
        }
        Statement::DropFunction(drop) => {
            for function in &drop.func_desc {
                found.push(dropped(DROP_TABLE, "FUNCTION", object_name(&function.name)));
            }
        }
        Statement::DropProcedure { proc_desc, .. } => {
            for procedure in proc_desc {
                found.push(dropped(
                    DROP_TABLE,
                    "PROCEDURE",
                    object_name(&procedure.name),
                ));
            }
        }
        Statement::DropTrigger(drop) => {
            found.push(dropped(
                DROP_TABLE,
                "TRIGGER",
                object_name(&drop.trigger_name),
            ));
        }
        Statement::DropPolicy(drop) => {
            found.push(dropped(DROP_TABLE, "POLICY", drop.name.value.clone()));
        }
        Statement::DropDomain(drop) => {
            found.push(dropped(DROP_TABLE, "DOMAIN", object_name(&drop.name)));
        }
        Statement::DropExtension(drop) => {
            for name in &drop.names {
                found.push(dropped(DROP_TABLE, "EXTENSION", name.value.clone()));
            }
        }
        Statement::DropSecret { .. }
        | Statement::DropConnector { .. }
        | Statement::DropOperator(_)
        | Statement::DropOperatorFamily(_)
        | Statement::DropOperatorClass(_) => {
            found.push(Found::new(DROP_TABLE, None, statement.to_string()));
        }
        Statement::Truncate(truncate) => {
            for target in &truncate.table_names {
                let table = object_name(&target.name);
                found.push(Found::new(
                    TRUNCATE,
                    Some(table.clone()),
                    format!("TRUNCATE {table}"),
                ));
            }
        }
        Statement::Delete(delete) => delete_findings(delete, found),
        Statement::Update(update) => update_findings(update, found),
        Statement::AlterTable(alter) => {
            let table = object_name(&alter.name);
            for operation in &alter.operations {
                if let Some(what) = dropped_by(operation) {
                    found.push(Found::new(
                        ALTER_DROP,
                        Some(table.clone()),
                        format!("ALTER TABLE {table} DROP {what}"),
                    ));
                }
            }
        }
        // MariaDB's `CREATE OR REPLACE TABLE` drops the table it replaces, rows and all.
        Statement::CreateTable(create) if create.or_replace => {
            let table = object_name(&create.name);
            let detail = format!("CREATE OR REPLACE TABLE {table} drops the old one");
            found.push(Found::new(DROP_TABLE, Some(table), detail));
        }
        Statement::Query(query) => pending.push(Node::Query(query)),
        Statement::Explain {
            analyze: true,
            statement,
            ..
        }
        | Statement::Prepare { statement, .. } => pending.push(Node::Statement(statement)),
        _ => {}
    }
}

fn dropped(kind: &'static str, object_type: &str, name: String) -> Found {
    let detail = format!("DROP {object_type} {name}");
    Found::new(kind, Some(name), detail)
}

/// What an `ALTER TABLE` operation drops, for the detail; `None` when it drops nothing.
fn dropped_by(operation: &AlterTableOperation) -> Option<String> {
    let joined = |names: &[sqlparser::ast::Ident]| {
        names
            .iter()
            .map(|name| name.value.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(match operation {
        AlterTableOperation::DropColumn { column_names, .. } => {
            format!("COLUMN {}", joined(column_names))
        }
        AlterTableOperation::DropConstraint { name, .. } => format!("CONSTRAINT {}", name.value),
        AlterTableOperation::DropPrimaryKey { .. } => "PRIMARY KEY".to_owned(),
        AlterTableOperation::DropForeignKey { name, .. } => format!("FOREIGN KEY {}", name.value),
        AlterTableOperation::DropIndex { name } => format!("INDEX {}", name.value),
        AlterTableOperation::DropPartitions { .. } => "PARTITION".to_owned(),
        AlterTableOperation::DropProjection { name, .. } => format!("PROJECTION {}", name.value),
        AlterTableOperation::DropClusteringKey => "CLUSTERING KEY".to_owned(),
        _ => return None,
    })
}

fn delete_findings(delete: &Delete, found: &mut Vec<Found>) {
    let from = match &delete.from {
        FromTable::WithFromKeyword(tables) | FromTable::WithoutKeyword(tables) => tables,
    };
    let filtered = delete
        .selection
        .as_ref()
        .is_some_and(|selection| !is_always_true(selection, 0))
        || from.iter().any(joins_filter);
    if filtered {
        return;
    }
    let condition = condition_words(delete.selection.as_ref());
    // `DELETE t1, t2 FROM …` (MySQL) names its targets before `FROM`.
    let targets: Vec<String> = if delete.tables.is_empty() {
        from.iter()
            .filter_map(|table| table_name(&table.relation))
            .collect()
    } else {
        delete.tables.iter().map(object_name).collect()
    };
    for table in targets {
        let detail = format!("DELETE FROM {table} {condition}");
        found.push(Found::new(DELETE_ALL, Some(table), detail));
    }
}

fn update_findings(update: &Update, found: &mut Vec<Found>) {
    let filtered = update
        .selection
        .as_ref()
        .is_some_and(|selection| !is_always_true(selection, 0))
        || joins_filter(&update.table);
    if filtered {
        return;
    }
    if let Some(table) = table_name(&update.table.relation) {
        let detail = format!(
            "UPDATE {table} {}",
            condition_words(update.selection.as_ref())
        );
        found.push(Found::new(UPDATE_ALL, Some(table), detail));
    }
}

fn condition_words(selection: Option<&Expr>) -> &'static str {
    match selection {
        None => "without WHERE",
        Some(_) => "with an always-true WHERE",
    }
}

/// Whether the joins in `table` restrict rows (`DELETE t FROM t JOIN u ON …`, MySQL),
/// as a `WHERE` would.
fn joins_filter(table: &TableWithJoins) -> bool {
    table.joins.iter().any(|join| {
        let constraint = match &join.join_operator {
            JoinOperator::Join(constraint)
            | JoinOperator::Inner(constraint)
            | JoinOperator::Left(constraint)
            | JoinOperator::LeftOuter(constraint)
            | JoinOperator::Right(constraint)
            | JoinOperator::RightOuter(constraint)
            | JoinOperator::Semi(constraint)
            | JoinOperator::LeftSemi(constraint)
            | JoinOperator::RightSemi(constraint)
            | JoinOperator::Anti(constraint)
            | JoinOperator::LeftAnti(constraint)
            | JoinOperator::RightAnti(constraint)
            | JoinOperator::StraightJoin(constraint) => constraint,
            _ => return false,
        };
        match constraint {
            JoinConstraint::On(condition) => !is_always_true(condition, 0),
            JoinConstraint::Using(_) | JoinConstraint::Natural => true,
            JoinConstraint::None => false,
        }
    })
}

/// Whether a condition holds for every row whatever its values: `TRUE`, `1`, `1=1`,
/// `'a'='a'`, `id = id`, `x OR TRUE`, `name LIKE '%'`. Conservative the other way too:
/// anything not recognised counts as a real filter.
fn is_always_true(condition: &Expr, depth: usize) -> bool {
    if depth > MAX_PREDICATE_DEPTH {
        return false;
    }
    let next = depth + 1;
    match condition {
        Expr::Value(value) => match &value.value {
            Value::Boolean(value) => *value,
            Value::Number(number, _) => number.parse::<f64>().is_ok_and(|n| n != 0.0),
            _ => false,
        },
        Expr::Nested(inner) | Expr::IsTrue(inner) => is_always_true(inner, next),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => is_always_false(expr, next),
        Expr::IsNotNull(inner) => {
            matches!(inner.as_ref(), Expr::Value(value) if value.value != Value::Null)
        }
        Expr::IsNull(inner) => {
            matches!(inner.as_ref(), Expr::Value(value) if value.value == Value::Null)
        }
        Expr::Like {
            negated: false,
            pattern,
            ..
        } => {
            matches!(pattern.as_ref(), Expr::Value(value) if value.value == Value::SingleQuotedString("%".into()))
        }
        Expr::BinaryOp { left, op, right } => match op {
            BinaryOperator::Or => is_always_true(left, next) || is_always_true(right, next),
            BinaryOperator::And => is_always_true(left, next) && is_always_true(right, next),
            BinaryOperator::Eq | BinaryOperator::GtEq | BinaryOperator::LtEq => {
                same_operand(left, right).unwrap_or_else(|| {
                    compare_numbers(left, right).is_some_and(|o| op_holds(op, o))
                })
            }
            _ => compare_numbers(left, right).is_some_and(|ordering| op_holds(op, ordering)),
        },
        _ => false,
    }
}

fn is_always_false(condition: &Expr, depth: usize) -> bool {
    if depth > MAX_PREDICATE_DEPTH {
        return false;
    }
    match condition {
        Expr::Value(value) => match &value.value {
            Value::Boolean(value) => !*value,
            Value::Number(number, _) => number.parse::<f64>().is_ok_and(|n| n == 0.0),
            Value::Null => true,
            _ => false,
        },
        Expr::Nested(inner) => is_always_false(inner, depth + 1),
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => is_always_true(expr, depth + 1),
        _ => false,
    }
}

/// `Some(true)` when both sides are the same literal or the same column.
fn same_operand(left: &Expr, right: &Expr) -> Option<bool> {
    match (left, right) {
        (Expr::Value(left), Expr::Value(right)) if left.value == right.value => Some(true),
        (Expr::Identifier(left), Expr::Identifier(right)) if left.value == right.value => {
            Some(true)
        }
        (Expr::CompoundIdentifier(left), Expr::CompoundIdentifier(right))
            if left
                .iter()
                .map(|i| &i.value)
                .eq(right.iter().map(|i| &i.value)) =>
        {
            Some(true)
        }
        _ => None,
    }
}

fn compare_numbers(left: &Expr, right: &Expr) -> Option<std::cmp::Ordering> {
    let number = |expr: &Expr| match expr {
        Expr::Value(value) => match &value.value {
            Value::Number(number, _) => number.parse::<f64>().ok(),
            _ => None,
        },
        _ => None,
    };
    number(left)?.partial_cmp(&number(right)?)
}

fn op_holds(op: &BinaryOperator, ordering: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    match op {
        BinaryOperator::Eq => ordering == Equal,
        BinaryOperator::NotEq => ordering != Equal,
        BinaryOperator::Lt => ordering == Less,
        BinaryOperator::LtEq => ordering != Greater,
        BinaryOperator::Gt => ordering == Greater,
        BinaryOperator::GtEq => ordering != Less,
        _ => false,
    }
}

fn table_name(relation: &TableFactor) -> Option<String> {
    match relation {
        TableFactor::Table { name, .. } => Some(object_name(name)),
        _ => None,
    }
}

/// A name as the database sees it: parts joined with dots, without their quotes.
fn object_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => ident.value.clone(),
            ObjectNamePart::Function(function) => function.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}
