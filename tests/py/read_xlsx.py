"""Reads a workbook with openpyxl (Debian's python3-openpyxl) and prints what a test compares:
the sheet's name, every non-empty cell (row and column from 1, value as openpyxl reads it), the
merged ranges, and the print settings. Usage: python3 read_xlsx.py FILE.xlsx"""
import json
import sys

import openpyxl

book = openpyxl.load_workbook(sys.argv[1])
sheet = book.worksheets[0]
cells = [
    [c.row, c.column, c.value]
    for row in sheet.iter_rows()
    for c in row
    if c.value is not None
]
print(json.dumps({
    "sheets": len(book.worksheets),
    "title": sheet.title,
    "cells": cells,
    "merged": sorted(str(r) for r in sheet.merged_cells.ranges),
    "landscape": sheet.page_setup.orientation == "landscape",
    "repeat_rows": sheet.print_title_rows,
    "freeze": sheet.freeze_panes,
}, ensure_ascii=False))
