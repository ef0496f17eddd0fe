"""Evaluation: simulated students (personas) talk to the real tutor in-process, a judge model
scores each conversation on five dimensions, and runs report means with confidence intervals
so a change of prompt or model is judged against the noise of single conversations."""
