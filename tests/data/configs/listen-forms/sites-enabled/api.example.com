server {
	listen 0.0.0.0:443 ssl;
	listen [0::0]:443 ssl;
	server_name api.example.com;

	location / {
		proxy_pass https://api.internal:8443;
		proxy_ssl_server_name on;
		proxy_ssl_verify on;
		proxy_ssl_trusted_certificate ssl/internal-ca.pem;
	}
}
