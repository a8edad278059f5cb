# One server, one address written three ways: "443", "*:443" and
# "0.0.0.0:443" are the same socket to nginx (ngx_parse_url).
server {
	listen 443 ssl;
	listen [::]:443 ssl;
	server_name app.example.com;
	ssl_certificate ssl/app.example.com.crt;
	ssl_certificate_key ssl/app.example.com.key;

	# Added later by someone who did not see the first line.
	listen 0.0.0.0:443
		ssl;

	location / {
		proxy_pass https://app1.internal:8443;
	}
}
