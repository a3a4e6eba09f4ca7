"""Pages of the services app (一件事一次办): public catalogue, application and progress; window; department inbox."""
