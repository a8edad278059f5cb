server {
	listen 443 ssl;
	server_name app.example.com www.app.example.com;

	ssl_certificate ssl/app.example.com.crt;
	ssl_certificate_key ssl/app.example.com.key;

	include snippets/upstream-tls.conf;

	location / {
		proxy_pass https://app_pool;
		proxy_ssl_name app.internal;
	}

	# Maintenance switch: while the flag file exists, the shop is
	# served by the fallback box.
	location /shop/ {
		if (-f /var/www/maintenance.flag) {
			proxy_pass https://10.30.0.99:8443;
		}
		proxy_pass https://api.internal:8443;
	}

	# A/B test: variant b goes to the new backend, the rest is static.
	location /beta/ {
		root /var/www;
		if ($cookie_variant = b) {
			proxy_pass https://b.internal;
		}
	}

	# Downloads are local; uploads go to the storage box.
	location /files/ {
		root /var/www;
		limit_except GET HEAD {
			proxy_pass https://10.30.0.40;
		}
	}
}
