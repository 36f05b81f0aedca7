"""Pure SLO arithmetic: windows, budgets, burn rates. Numbers in, numbers out; no I/O, no parsing.

Modules import what they need directly (``from slokit.engine.windows import window_at``); this
package re-exports nothing so that importing one engine module never pulls in the others.
"""
