"""What every domain uses and no domain owns: form schemas, (later) audit, mail, errors, formatting.

Nothing here imports a domain package: domains import down into ``core``, never sideways.
"""
