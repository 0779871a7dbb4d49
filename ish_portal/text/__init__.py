"""Language and formatting, for pages, emails and letters alike: translations (i18n) and dates and
times in the reader's language and time zone (timefmt). Imports nothing else of the portal."""
