"""Study plans: generated from approved teaching guidelines, reviewed, improved once."""
