"""Staff: the people at the agency who look after deliveries. Accounts are made on the command
line (`flask --app wsgi staff add NAME`); passwords are kept only as scrypt hashes."""
