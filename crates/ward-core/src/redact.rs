//! Redaction (placeholder).
