"""Pure helpers: no Django models, no database. Everything may import this."""
