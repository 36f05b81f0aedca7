"""Reading SLOs written in other formats (Sloth specs, Markdown documents) as OpenSLO documents.

Importers produce plain OpenSLO dicts and never the resolved model directly: the result is
written with :func:`slokit.spec.dump.dump_documents` and judged by the same loader as any
hand-written spec, so an import can never smuggle in something validation would refuse.
"""
