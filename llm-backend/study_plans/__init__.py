"""Study plans: generated from approved teaching guidelines, reviewed, improved once; and read
back as the steps the tutor teaches (`services.plans`)."""
