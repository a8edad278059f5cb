server {
	listen 80;
	server_name legacy.example.com;

	# Writes to the primary, reads to the replica.
	location /api/ {
		if ($request_method = POST) {
			proxy_pass https://writer.internal:8443;
		}
		proxy_pass https://reader.internal:8443;
		proxy_ssl_server_name on;
	}

	location /upload/ {
		client_max_body_size 100m;
		limit_except GET {
			proxy_pass https://writer.internal:8443;
		}
	}
}
