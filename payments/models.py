# Payment methods, payments and their event log arrive with the payments issue.
