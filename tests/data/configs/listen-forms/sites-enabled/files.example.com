server {
	listen *:443 ssl;
	server_name files.example.com;

	location / {
		proxy_pass https://10.30.0.40;
	}
}
