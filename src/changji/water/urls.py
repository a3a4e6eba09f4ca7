"""Pages of the water app (一屏看水、一网治水、一图懂水)."""



app_name = "water"
urlpatterns: list = [
]
