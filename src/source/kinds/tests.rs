//! Tests of the kind selectors over small documents.
