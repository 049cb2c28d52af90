"""Analytics: one module per question family; every metric is `f(con, filters) -> DataFrame`."""
