"""The conversation engine, one module per concept; `bot.coach` is the facade channels call.

Every concept module receives the shared `Services` (bot.engine.context) and never imports
`bot.coach`, so the engine's imports run one way: coach -> concepts -> context -> storage.
"""
