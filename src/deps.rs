//! Dependency resolution (action B). (placeholder)
