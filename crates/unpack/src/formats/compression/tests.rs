//! Tests of the compression family.
