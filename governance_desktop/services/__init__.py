"""Use cases. Services own sessions and transactions and return plain data, never ORM rows."""
