"""ish-portal: admissions portal of the International Summer Science School Heidelberg."""
