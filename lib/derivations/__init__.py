"""Derivations of the claims, one module per chapter; each registers with :func:`lib.claims.derives`.

Every module here is imported by :func:`lib.claims.ledger`, so a new chapter's claims join the ledger
by adding a module, without editing any other file.
"""
