"""The evidence export of one policy in the window and in print: the PDF (html.py, pdf.py) and
the policy page's "Export evidence…" button (button.py)."""
