"""Job leases: one row per job name, held by the run in progress so two runs of the same job
(the scheduler and `linkhub jobs run`, or two processes) never overlap. Only jobs.py writes it."""

import peewee

from linkhub.db import BaseModel


class JobLease(BaseModel):
    name = peewee.CharField(max_length=64, primary_key=True)
    owner = peewee.CharField(max_length=64)  # host:pid:random of the holder
    acquired_at = peewee.DateTimeField()
    expires_at = peewee.DateTimeField()  # a crashed holder's lease lapses; renewed while running
