"""Extraction: a fetched page or post → `RawArticle` fields (title, body, byline, dates).

Pure functions over markup: nothing here fetches, and nothing here knows where a
page was found (discovery is `workers.sources`).
"""
