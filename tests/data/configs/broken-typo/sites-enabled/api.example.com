server {
	listen 80;
	server_name api.example.com;

	location / {
		proxy_pass https://api.internal:8443;
		# The typo nginx -t refuses; lint must not report missing SNI.
		proxy_ssl_server_nam on;
	}
}
