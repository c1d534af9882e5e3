"""Channels that carry a notice beyond the inbox: a branch's group robot on WeCom, DingTalk or
Feishu, a generic signed webhook (a self-hosted messenger), and an SMS gateway. E-mail stays
where it was (members.services, the notification's own e-mail state).

Every message is a Delivery row, written in the transaction of the event that causes it and
unique per (event, channel, recipient); workers claim due rows with conditional updates and
send them (services.deliveries_send, run by the beat job members.tasks.send_due_deliveries).
One module per service speaks its request format, signing and error codes; every channel is
off until configured, and nothing is sent from inside a web request.
"""
