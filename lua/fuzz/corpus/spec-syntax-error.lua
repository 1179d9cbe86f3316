return {
  stages = {
    a = { cmd = "x" ,
}
