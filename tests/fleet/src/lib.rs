//! End-to-end tests of the fleet live in `tests/`; this library is empty on purpose.
