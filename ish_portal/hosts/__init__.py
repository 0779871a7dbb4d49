"""The lab hosts' side: the tutors who take students in see their own labs only. Above
placement, whose offers and runs it reads."""
