//! QSign MPC engine.
