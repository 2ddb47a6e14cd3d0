module "egress" {
  source = "../../modules/egress"
}
