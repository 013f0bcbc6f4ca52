"""One router per feature, each built fresh by its factory (a router can join one dispatcher only)."""
