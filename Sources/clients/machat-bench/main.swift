print("machat-bench")
