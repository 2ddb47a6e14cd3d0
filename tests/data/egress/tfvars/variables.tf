variable "enforcement_mode" {
  type    = string
  default = "ENFORCED"
}

variable "allowed_destinations" {
  type    = list(string)
  default = []
}
