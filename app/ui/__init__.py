"""Shared UI pieces every page uses (their signatures are stable):

state.py   connection(), cached(fn, *args, **kwargs) -> fn(connection(), *args, **kwargs) cached,
           current_filters() -> Filters, warehouse_path() -> Path, page_path("data.py") for st.page_link.
widgets.py download_button(frame, name, key=None), definition(fn_or_text), empty_state(message),
           money(x), pct(x), days(x), count(x), period_label(filters), metric_row(df),
           show_table(df, money_cols=(), pct_cols=(), key=..., days_cols=(), name=None, height="auto",
           selectable=False) -> selected row positions, STAGE_COLOURS, SEGMENT_COLOURS,
           style_figure(fig, title, x_title, y_title) -> fig, requires_bo(con) -> bool.
filters.py the sidebar (drawn by app/main.py only).
"""
