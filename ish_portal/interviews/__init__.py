"""Interviews booked by the nominees: the slots interviewers publish, one booking per nominee,
calendar invitations, the interviewer's agenda and private calendar feed, and the outcome. Above
nominations and the panel, which it reads; nothing below imports it."""
