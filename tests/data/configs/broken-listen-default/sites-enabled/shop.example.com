server {
	listen *:80 default_server;
	server_name shop.example.com;
	location / {
		proxy_pass http://127.0.0.1:8080;
	}
}
